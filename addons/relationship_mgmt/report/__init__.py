from . import relationship_forecast_report
