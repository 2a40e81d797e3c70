"""The churn early-warning report: words (:mod:`.words`), charts (:mod:`.charts`), tables and the outreach file
(:mod:`.tables`), and how features read as drivers and reasons (:mod:`.vocabulary`)."""
