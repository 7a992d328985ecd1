from . import test_jobs
from . import test_sharded_run
