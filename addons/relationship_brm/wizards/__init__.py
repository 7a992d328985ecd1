from . import relationship_agreement_terminate
from . import relationship_dispute_resolve_line
from . import relationship_dispute_resolve
