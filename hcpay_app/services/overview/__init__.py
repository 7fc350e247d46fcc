"""What a member sees first, gathered from every domain: the dashboard. It sits above the domains
it reads (billing, payments, recurring), and nothing but the web layer reads it."""
