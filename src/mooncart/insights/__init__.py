"""Review intelligence, offline: sentiment, fit and key phrases read from reviews by
`mooncart analyse-reviews` and stored in MySQL; pages only read what it stored.

numpy's BLAS is held to one thread before numpy loads: on a busy two-core machine its threads
fought each other and one batch of 64 sentences took 25 s instead of 2 s (measured)."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
