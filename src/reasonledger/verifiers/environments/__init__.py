"""Environments: deterministic worlds that environmental verifiers replay episodes against."""
