"""The WS-Security receive pipeline: one module per concern, the order in pipeline.py."""
