/**
 * What an Airflow migration and scheduler do to the metadata database, roughly: tables with foreign
 * keys, a sequence, an index, a function, rows inserted, updated and deleted. It leaves one DAG
 * (`example`, not paused) with one run (`manual_1`) whose task succeeded.
 */
export const MIGRATION = [
    "CREATE TABLE dag (dag_id varchar(250) PRIMARY KEY, is_paused boolean NOT NULL DEFAULT false)",
    "CREATE TABLE dag_run (id serial PRIMARY KEY, dag_id varchar(250) NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE, run_id varchar(250) NOT NULL, UNIQUE (dag_id, run_id))",
    "CREATE SEQUENCE task_id_seq",
    "CREATE TABLE task_instance (id bigint PRIMARY KEY DEFAULT nextval('task_id_seq'), run_id integer NOT NULL REFERENCES dag_run (id), state varchar(20))",
    "CREATE INDEX ti_state ON task_instance (state)",
    "CREATE FUNCTION paused_dags() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM dag WHERE is_paused'",
    "INSERT INTO dag (dag_id) VALUES ('example'), ('other')",
    "INSERT INTO dag_run (dag_id, run_id) VALUES ('example', 'manual_1')",
    "INSERT INTO task_instance (run_id, state) SELECT id, 'queued' FROM dag_run",
    "UPDATE dag SET is_paused = true WHERE dag_id = 'other'",
    "UPDATE task_instance SET state = 'success'",
    "DELETE FROM dag WHERE dag_id = 'other'",
];
