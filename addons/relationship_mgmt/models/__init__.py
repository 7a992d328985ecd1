from . import res_company
from . import res_config_settings
from . import relationship_engagement
from . import relationship_engagement_snapshot
from . import res_partner
from . import sale_order
from . import account_move
from . import account_partial_reconcile
