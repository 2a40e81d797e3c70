"""Sample data with planted ground truth: six months of an e-commerce app, seven stories.

:func:`generate` writes ``events.parquet``, ``users.csv``, ``carts.csv``,
``feedback.csv``, ``nps.csv``, ``assignments.csv``, ``plan.yml`` and
``ground_truth.json``. The stories (account opening, cart and free shipping,
journey bottleneck and payment incident, NPS shift, 5% rollout, feedback
themes with personal data, churn causes and a past outreach) are described in ``docs/sample-data.md``; their
parameters live in :mod:`.design`.

Example
-------
>>> truth = generate("data/sample", users=3000, seed=9)           # doctest: +SKIP
>>> truth["onboarding"]["realised"]["before"]["abandonment_rate"]  # doctest: +SKIP
0.45...
"""

from uem_helpers.sample.build import BUNDLED_SEED, generate

__all__ = ["BUNDLED_SEED", "generate"]
