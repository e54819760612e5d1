"""Process exit codes of every `trader` command (documented in the README)."""

EXIT_OK = 0
EXIT_FAILURE = 1  # runtime failure, or nothing to report
EXIT_CONFIG = 2  # bad configuration or usage
EXIT_RUNNING = 3  # another instance holds the lock
EXIT_GATE = 4  # refused by a safety gate
EXIT_STATE = 5  # the state file is unusable (empty, damaged, replaced): needs a human
EXIT_ENVIRONMENT = 6  # the machine refused the start (port in use, disk full): needs a human
EXIT_ORDERS_LEFT = 7  # stopped with own orders that may still rest at the venue: needs a human
