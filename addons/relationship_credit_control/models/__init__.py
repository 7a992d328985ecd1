from . import credit_control_line
from . import credit_control_policy
from . import credit_control_run
from . import relationship_engagement
