"""reasonledger: build, verify, audit and document post-training reasoning data."""

__version__ = "0.1.0"
