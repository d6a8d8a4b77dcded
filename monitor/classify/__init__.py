"""Classification: is a notice about cell and gene therapy, why, and what kind of document is it."""

from monitor.classify.keywords import KeywordClassifier, default_classifier

__all__ = ["KeywordClassifier", "default_classifier"]
