"""``flask onestop fake-messaging``: the local fake of Zalo ZNS and of the SMS gateway for a demo or a
trial run (docs/integration.md, "Messaging")."""
from __future__ import annotations

import sys

import click

from ..integrations.messaging.fake import FakeMessagingServer


def register(group: click.Group) -> None:
    @group.command("fake-messaging")
    @click.option("--host", default="127.0.0.1")
    @click.option("--port", type=int, default=8090)
    def fake_messaging_cmd(host: str, port: int) -> None:
        """Run the fake Zalo ZNS and SMS gateway; prints the settings that point the app at it."""

        server = FakeMessagingServer(host=host, port=port)
        root = server.root_url
        click.echo(f"fake messaging providers on {root}; point the app at them with:")
        click.echo(f"  ONESTOP_ZALO_ZNS_URL={root}/zalo ONESTOP_ZALO_ZNS_ACCESS_TOKEN={server.zalo_token}")
        click.echo(f"  ONESTOP_SMS_GATEWAY_URL={root}/sms/send ONESTOP_SMS_GATEWAY_TOKEN={server.sms_token}")
        sys.stdout.flush()
        try:
            server.server.serve_forever()
        except KeyboardInterrupt:
            pass
