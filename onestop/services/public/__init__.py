"""What citizens see and give back: the look-up, ratings and complaints."""
