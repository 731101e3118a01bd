"""Who may see what: the identity and review-visibility rules, as pure
functions of a viewer's role and a submission's flags."""
