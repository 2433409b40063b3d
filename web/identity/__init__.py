"""Identity: one layer under every part of the cloud. Passwords, server-side sessions,
sign-in limits, the safe return address after signing in and the sign-in audit live here;
the parts (staff, helpdesk, fault reports) ask it who is signed in and decide permissions
themselves."""
