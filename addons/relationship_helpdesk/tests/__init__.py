from . import test_ticket_dispute
from . import test_ticket_engagement
