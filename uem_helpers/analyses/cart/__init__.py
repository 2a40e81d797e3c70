"""Carts: abandonment, the checkout funnel's inputs, fee share, bunching, drivers (abandonment) and the
free-shipping policy's impact, before/after or A/B (policy)."""
