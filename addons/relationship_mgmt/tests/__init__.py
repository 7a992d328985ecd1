from . import test_engagement_signals
from . import test_engagement_recompute
from . import test_engagement_settings
from . import test_engagement_security
from . import test_engagement_views
from . import test_rfm
