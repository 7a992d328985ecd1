from . import relationship_activity_wizard
