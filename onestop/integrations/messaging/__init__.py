"""Citizen messaging providers: Zalo ZNS (template messages), a generic SMS-brandname HTTP
gateway, and their local fakes (docs/integration.md, "Messaging")."""
