from odoo import api, models

from ..engine import kpi as kpi_engine


class RelationshipKpiMeasurement(models.Model):
    """The business-side KPIs join the catalogue of relationship_mgmt."""

    _inherit = "relationship.kpi.measurement"

    @api.model
    def _kpi_catalogue(self, period_type="month"):
        catalogue = super()._kpi_catalogue(period_type)
        catalogue.update((kpi.key, kpi) for kpi in kpi_engine.catalogue())
        return catalogue
