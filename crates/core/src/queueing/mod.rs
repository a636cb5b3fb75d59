//! Queueing maths (Erlang B, C and A) and the exact staffing search.
