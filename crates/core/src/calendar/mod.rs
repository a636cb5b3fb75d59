//! Business calendars (opening hours, public holidays with make-up working days, closures) and SLA clocks.
