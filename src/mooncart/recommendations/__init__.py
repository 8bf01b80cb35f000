"""Recommendations, built offline by `mooncart build-recommendations` into tables: "You may also
like" (content similarity), "Frequently bought together" (co-purchase), "Shoppers who viewed this
also viewed" (the clickstream), and personal picks for a signed-in shopper."""
