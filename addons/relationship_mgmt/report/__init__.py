from . import relationship_forecast_report
from . import relationship_customer_month_report
from . import relationship_conversion_report
