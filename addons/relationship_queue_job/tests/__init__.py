from . import test_jobs
from . import test_sharded_run
from . import test_sharded_analytics
from . import test_followup_jobs
