-- A frozen evaluation is never deleted either; it is part of the published record.
CREATE TRIGGER evaluation_undeletable BEFORE DELETE ON evaluation
BEGIN
    SELECT RAISE(ABORT, 'evaluations are frozen: they cannot be deleted');
END;
