-- Who the terminator acts as, to explain a refusal (42501): superusers may signal anyone; members of
-- pg_signal_backend any non-superuser session; everyone else only sessions of roles they are a member of.
SELECT current_user AS role,
       r.rolsuper AS superuser,
       pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') AS signal_backend,
       current_setting('server_version_num')::int AS server_version_num
FROM pg_roles r
WHERE r.rolname = current_user
