from . import relationship_job_run
from . import relationship_engagement
from . import relationship_analytics
from . import relationship_product_affinity
from . import relationship_trust_snapshot
from . import relationship_agreement_obligation
from . import relationship_program_enrolment_line
from . import relationship_dispute
