"""Words of the bundled sample's stories (docs/sample-data.md, uem_helpers/sample/truth.py).

A report's framing (title, introduction, static markdown, "what to do next") must come from
the config and the parameters; when it is rendered with another config none of these may
appear. Matching is case-insensitive.
"""

#: The sample's launches, policies, dates, event names and story phrases.
STORY_WORDS = (
    # story 1: account opening, its funnel title and the launch
    "account opening", "account-opening", "开户", "account_opening", "open_start", "open_success", "id_verified",
    "OCR", "auto-fill", "step guidance", "progress bar", "2026-08-15",
    # story 2: the free-shipping policy
    "free shipping over", "free shipping threshold", "free-shipping threshold", "2026-09-01", "99 yuan",
    # story 3: the journey
    "size guide", "size_guide", "customer_service", "2026-09-18", "payment incident",
    # stories 4-6: NPS, the rollout, feedback
    "one-tap checkout", "one_tap_checkout", "2026-10-08",
)
