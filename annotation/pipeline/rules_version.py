"""The version of the suggestion rules (``suggest.py``), in a module of its own so the web tier can
read it without loading the rules' text models."""

RULES_VERSION = "rules-4"  # 3: voice-only ceiling, noisy-or fusion, English-only VADER, margin prior; 4: service-script neutral seeds
