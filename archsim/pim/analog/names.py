"""Names of the built-in device models and peripheries, and the ADC width limit.

No imports: the CLI's help uses the names, and ``archsim.config.compute`` the limit, without
loading the analog models (importing those first used to be a circular import).
"""

DEVICES = ("pcm", "rram", "rram-milo", "ideal")
PERIPHERIES = ("default", "ideal")
ADC_BITS_MAX = 16
