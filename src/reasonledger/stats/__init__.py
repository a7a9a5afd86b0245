"""Statistics shared by the audit, the build steps and the scaling reports: Beta posteriors and
intervals (one default prior and level), Wilson intervals (`proportion`), p-values and multiplicity
correction, conditional logit.

Only numpy and the standard library: the audit and the build do not need scipy.
"""
