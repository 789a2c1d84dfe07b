"""Evaluation: lip-sync and quality metrics, the SyncNet protocol, benchmark baselines."""
