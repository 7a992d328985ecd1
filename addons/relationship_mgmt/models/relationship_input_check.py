from odoo import api, models
from odoo.exceptions import ValidationError


class RelationshipInputCheck(models.AbstractModel):
    """Values given to ``create`` and ``write`` checked against their fields
    before the ORM converts them: a wrong choice or type (``"alien"`` for a
    selection, ``"five"`` for a number) gets a readable ValidationError
    naming the field, instead of a traceback from the conversion or from
    PostgreSQL. Inherited by every model users or integrations create, in
    both addons."""

    _name = "relationship.input.check"
    _description = "Checked Values of Created Records"

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_input_values(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_input_values(vals)
        return super().write(vals)

    @api.model
    def _check_input_values(self, vals):
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or value is None or value is False:
                continue
            if field.type == "selection":
                allowed = field.get_values(self.env)
                if value not in allowed:
                    raise ValidationError(
                        self.env._(
                            "%(model)s: %(value)r is not a valid %(field)s; use "
                            "one of %(allowed)s.",
                            model=self._description,
                            value=value,
                            field=field.string,
                            allowed=", ".join(str(key) for key in allowed),
                        )
                    )
            elif not self._input_value_has_type(field, value):
                raise ValidationError(
                    self.env._(
                        "%(model)s: %(field)s must be %(expected)s, got %(value)r.",
                        model=self._description,
                        field=field.string,
                        expected=self._input_expected_type(field.type),
                        value=value,
                    )
                )

    @api.model
    def _input_value_has_type(self, field, value):
        """Whether ``value`` may be stored in ``field`` (fields of other types
        than these are left to the ORM)."""
        if field.type in ("integer", "float", "monetary"):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if field.type == "integer":
                return number and float(value).is_integer()
            return number
        if field.type == "many2one":
            if isinstance(value, models.BaseModel):
                return value._name == field.comodel_name
            return isinstance(value, int) and not isinstance(value, bool)
        if field.type in ("char", "text", "html"):
            return isinstance(value, str)
        if field.type in ("date", "datetime"):
            try:
                field.to_date(value) if field.type == "date" else field.to_datetime(
                    value
                )
            except (TypeError, ValueError):
                return False
        return True

    @api.model
    def _input_expected_type(self, field_type):
        _ = self.env._
        return {
            "integer": _("a whole number"),
            "float": _("a number"),
            "monetary": _("a number"),
            "many2one": _("a record id"),
            "char": _("a text"),
            "text": _("a text"),
            "html": _("a text"),
            "date": _("a date (YYYY-MM-DD)"),
            "datetime": _("a date and time (YYYY-MM-DD HH:MM:SS, UTC)"),
        }[field_type]
