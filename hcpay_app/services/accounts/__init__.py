"""Who the member is and what they may see: log-in and server-side sessions, access checks (every
read of member data goes through `access`), Create Account with its one-time code, password and
username recovery, the profile, and notices to a member (in the portal and by email)."""
