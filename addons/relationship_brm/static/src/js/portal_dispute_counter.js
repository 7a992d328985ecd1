/** @odoo-module */

import { PortalHomeCounters } from "@portal/js/portal";

// The Disputes card stays on the portal home at zero: a customer with no
// dispute yet must still find where to open one.
PortalHomeCounters.include({
    _getCountersAlwaysDisplayed() {
        return [...this._super(...arguments), "dispute_count"];
    },
});
