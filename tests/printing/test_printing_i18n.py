from printing.admin import JOB_STATE_LABELS, job_state_label
from printing.status import PrinterState

"""The printer's states and job states read differently in French and English.

The printing catalogue itself is checked with the kiosk's in tests/test_i18n.py."""


def test_status_and_job_labels_are_translated():

    for state in PrinterState:
        assert state.label("fr") != state.label("en")
    for state in JOB_STATE_LABELS:
        assert job_state_label(state, "fr") != job_state_label(state, "en")
