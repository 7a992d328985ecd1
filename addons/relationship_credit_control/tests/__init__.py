from . import test_credit_control_disputes
