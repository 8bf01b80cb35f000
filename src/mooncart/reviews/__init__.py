"""Reviews: only shoppers who received a product may review it; a rating summary with fit
advice and key phrases; sorting, star filters, "Was this helpful?" votes and staff moderation."""
