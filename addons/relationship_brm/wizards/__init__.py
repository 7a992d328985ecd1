from . import relationship_agreement_terminate
