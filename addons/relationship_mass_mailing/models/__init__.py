from . import mailing_trace
from . import relationship_interaction
from . import relationship_program
from . import res_partner
