"""Where we deliver, by when, and where cash on delivery is offered (issue 13 part 5)."""
