from . import helpdesk_ticket
from . import rating_rating
from . import relationship_dispute
from . import relationship_engagement
from . import res_partner
