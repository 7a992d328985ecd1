from . import mailing_trace
from . import relationship_interaction
from . import res_partner
