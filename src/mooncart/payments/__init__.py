"""Taking and giving back money: providers (cash on delivery, the test card gateway, card and
UPI through a Razorpay-style gateway), settling reserved orders, refunds, and webhooks."""
