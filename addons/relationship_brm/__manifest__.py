{
    "name": "Business Relationship Management",
    "summary": "Supplier, distributor and partner relationships: agreements, "
    "obligations checked against real documents, disputes and trust",
    "version": "18.0.1.0.0",
    "category": "Sales/Relationships",
    "website": "https://github.com/relationship-erp/odoo-relationships",
    "author": "Relationship ERP contributors",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": [
        "relationship_mgmt",
        "purchase",
        "purchase_stock",
    ],
    "data": [
        "security/security.xml",
        "views/menus.xml",
    ],
    "demo": [],
}
