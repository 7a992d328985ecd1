from . import relationship_customer_target
from . import relationship_activity_wizard
from . import relationship_program_enrol_wizard
from . import relationship_crosssell_wizard
from . import relationship_privacy_erase_wizard
from . import relationship_kpi_measure_wizard
