# hcpool's pages in English. Each line is `key = text`; `{ $name }` is filled in by the
# page. Texts may hold simple HTML (<strong>, <code>, <a>): the page writes it as is, and
# escapes the arguments. Keep the keys; translate the text. See hcpool-i18n's crate docs.

## The layout

site-name = HC Stake Pool
# The page title: "HC Stake Pool - Stats".
site-title = HC Stake Pool - { $page }
nav-low-fee = Low-fee tickets
nav-status = Status
nav-home = Home
nav-stats = Stats
nav-address = Address
nav-settings = Settings
nav-tickets = Tickets
nav-voting = Voting
nav-hello = Hello, { $email }
nav-logout = Logout
nav-signin = Sign In
nav-signup = Sign Up
lang-switch = Language

## Page titles (the part after "HC Stake Pool - ")

title-welcome = Welcome
title-stats = Stats
title-error = Error
title-address = Address
title-voting = Voting
title-signup = Sign Up
title-signin = Sign In
title-email-verification = Email Verification
title-logout = Logout
title-password-reset = Password Reset
title-password-update = Password Update
title-resend-verification = Resend Verification
title-settings = Settings
title-email-update = Email Update
title-tickets = Tickets
title-maintenance = Maintenance
title-admin-tickets = Low Fee Tickets (Admin)
title-admin-status = Status (Admin)

## Common words

field-email = Email
field-password = Password
pool-fees = Pool fees
pool-fee-address = Pool fee address
redeem-script = Redeem script
none = None.
ticket = Ticket
pager = Page { $page } of { $pages }
pager-prev = previous
pager-next = next

## Home

home-heading = Welcome to the HC stake pool
home-intro = This pool votes your tickets for you on the <strong>{ $network }</strong> network, even when your wallet is offline.
home-fees = Pool Fees: <strong>{ $fees }%</strong>
home-support = Support:

## Stats

stats-heading = Stats
stats-network = Network
stats-pool-status = Pool status
stats-open = Open
stats-closed = Closed
stats-pool-email = Pool email
stats-users = Users
stats-active-users = Active users
stats-block-height = Block height
stats-vote-record-key = Vote record key
stats-immature = Immature
stats-live = Live
stats-voted = Voted
stats-missed = Missed
stats-expired = Expired
stats-revoked = Revoked
stats-proportion-missed = Proportion missed
stats-network-pool-size = Network pool size
stats-mempool-tickets = Mempool tickets
stats-proportion-live = Proportion live
stats-ticket-price = Ticket price
stats-total-subsidy = Total subsidy
stats-history = History

## Charts (titles)

chart-live = Live tickets
chart-votes = Votes and misses per day
chart-share = Pool share of the network's live tickets (%)
chart-price = Ticket price
chart-your-live = Your live tickets
chart-your-votes = Your votes and misses per day
chart-no-data = No data yet
chart-series-pool-live = Pool live tickets
chart-series-votes = Votes
chart-series-misses = Misses
chart-series-share = Pool share %

## Error page

error-heading = Temporary Error
error-text = A temporary error occurred. This can happen due to RPC results being temporarily out of sync.
error-home = Back to the home page
fallback-text = Something went wrong. Please try again later.

## Address

address-heading = Address
address-submitted = Your submitted address
address-ticket = Ticket (voting) address
address-pool-fee = Pool fee
address-buying = Buying tickets
address-import = Import the redeem script into your wallet so it can see your tickets:
address-then-buy = Then buy tickets with the pool's addresses:
address-or-conf = or in <code>hcwallet.conf</code>:
address-check = Check your submitted address with
address-gui-hint = Using the hcGUI wallet? It submits the address itself: paste the API token
    from the <a href="/settings">Settings</a> page when it asks.
address-create = Create a new address in your wallet and get its public key address:
address-paste = Paste the <code>pubkeyaddr</code> value here. The pool allows one address per account.
address-field = Public key address
address-submit = Submit

## Voting

voting-heading = Voting Preferences (v{ $version })
voting-save = Save
voting-none = There are no active agendas to vote on currently.

## Tickets

tickets-heading = Tickets
tickets-demo = Demo: your wallet is simulated.
tickets-demo-buy = Buy a ticket
tickets-address = Ticket address
tickets-conf = To buy tickets for this pool with hcwallet, add to <code>hcwallet.conf</code>:
tickets-by-hand = or buy by hand:
tickets-live = Live / Immature ({ $count })
tickets-height = Height
tickets-no-live = No live tickets.
tickets-voted = Voted
tickets-voted-total = { $total } total tickets voted ({ $archived } archived and not shown)
tickets-records-intro = The pool signs a record of each vote it cast for you:
tickets-records-download = download your vote records (JSON)
tickets-records-check = Check them against the chain with
tickets-records-key = The pool's key:
tickets-vote = Vote
tickets-voted-at = Voted at
tickets-vote-link = vote
tickets-missed = Missed ({ $count })
tickets-revoked-at = Revoked at
tickets-expired = Expired ({ $count })
tickets-invalid = Invalid (low fee) ({ $count })

## Sign up, sign in, sign out

signup-heading = Sign Up
signup-no-mail = Mail server not configured.  You will not receive an email verification link.
signup-repeat = Repeat password
signup-captcha-alt = captcha: type the characters you see
signup-captcha = Characters in the image
signup-submit = Sign Up
signup-registered = Already registered?
signin-heading = Sign In
signin-submit = Sign In
signin-forgot = Forgot your password?
signin-no-mail = Did not get the verification mail?
logout-heading = Logout
logout-ask = Sign out of the stake pool?
logout-submit = Logout
logout-stay = Stay signed in
emailverify-heading = Email Verification
emailverify-signin = You may now sign in
resend-heading = Resend Verification
resend-text = Signed up but the verification mail never came? Enter the address you signed up with and
    a new verification link is sent to it (the previous link stops working).
resend-submit = Send a new link

## Password reset and update

reset-heading = Password Reset
reset-no-mail = Mail server not configured.  You will not receive an password reset link.
reset-submit = Send reset link
update-heading = Password Update
update-new = New password
update-repeat = Repeat new password
update-submit = Set password

## Settings

settings-heading = Settings
settings-no-mail = Mail server not configured.  You will not receive an email change verification link.
settings-next-step = Next step: <a href="/address">submit your public key address</a>.
settings-api-token = API token
settings-api-use = Send it as <code>Authorization: Bearer &lt;token&gt;</code> to the <code>/api/v2</code> commands. Keep it secret.
settings-new-token = Issue a new token (revokes this one)
settings-change-email = Change email
settings-new-email = New email
settings-current-password = Current password
settings-send-confirmation = Send confirmation link
settings-change-password = Change password

## Maintenance

maintenance-heading = Maintenance

## Admin: low-fee tickets

admintickets-heading = Low Fee Tickets
admintickets-ignored = Ignored by the voting nodes ({ $count })
admintickets-ignored-text = These tickets did not pay the pool fee, so they are not voted.
admintickets-add = Add Tickets To Live Voting List
admintickets-added = Added for voting ({ $count })
admintickets-remove = Remove Tickets From Live Voting List

## Admin: status

status-heading = Status
status-demo = Demo: the chain is simulated.
status-demo-mine = Mine a block
status-rpc = RPC Status:
status-registration = Registration
status-refused = Address registration is refused:
status-open = Open: { $ready } of { $wallets } wallets at the chain tip (height { $height }; minservers { $min }).
status-wallets = Wallets ({ $label })
status-chain-height = Chain height
status-node-connected = Node connected
status-unlocked = Unlocked
status-voting = Voting
status-vote-version = Vote version
status-wallets-unavailable = Wallets unavailable:
status-voting-nodes = Voting nodes (stakepoold)
status-configured = { $count } configured.
status-waiting = Waiting for an update:
status-summary = { $ready } of { $wallets } wallets ready, { $serving } of { $nodes } voting nodes serving
status-summary-tip = , tip { $tip }
status-th-wallet = Wallet
status-th-state = State
status-th-connected = Connected
status-th-hcd-connected = hcd connected
status-th-best-block = Best block
status-th-hcd-api = hcd API
status-th-wallet-api = hcwallet API
status-th-votes-itself = Votes by itself
status-th-scripts = Scripts
status-ready = ready
status-enablevoting = (--enablevoting: its votes race stakepoold's)
status-th-tip = Tip
status-th-hcd-tip = hcd tip
status-th-behind = Blocks behind
status-th-tip-age = Tip age (s)
status-th-lag = Lag
status-lagging = lagging:
status-ok = ok
status-th-node = Node
status-th-health = Health
status-th-config = Config
status-th-version = Version
status-th-ignored = Ignored low-fee
status-th-added = Added low-fee
status-up = up
status-down = down:
status-current = current
status-stale = waiting for an update
status-th-wallet-height = Wallet height
status-th-hcd-height = hcd height
status-node-behind = lagging: { $blocks } blocks behind
status-unknown = unknown

## Flash messages and refusals (the English text is what the code says; the page shows
## the translation)

msg-invalid-email = email address is invalid
msg-invalid-email-cap = Email address is invalid
msg-weak-password-short = password must be at least 8 characters long
msg-weak-password-long = password is too long
msg-passwords-differ = Passwords do not match
msg-passwords-differ-lower = passwords do not match
msg-bad-credentials = Invalid Email or Password
msg-not-verified = You must validate your email address
msg-wrong-password = Password not valid
msg-no-verification-token = No email verification token present
msg-verification-token-invalid = Email verification token not valid
msg-no-reset-token = No password update token present
msg-reset-token-invalid = Password update token not valid
msg-reset-token-expired = Password update token has expired
msg-email-change-expired = Email change token has expired
msg-email-in-use = Email address is in use
msg-captcha-wrong = verify value is invalid
msg-email-verified = Email successfully verified
msg-email-updated = Email successfully updated
msg-password-updated = Password successfully updated
msg-token-issued = New API token issued; the previous one no longer works
msg-verification-sent-new = Verification token sent to new email address
msg-address-registered = Address registered: your ticket address is below
msg-voting-updated = successfully updated voting preferences
msg-signup-sent = A verification email has been sent to { $email }
msg-resend-sent = If { $email } belongs to an account that is not verified yet, a new verification link has been sent to it.
msg-reset-sent = An email containing password reset instructions has been sent to { $email } if it was a registered account here.
msg-wallets-down = The pool's wallets cannot process this right now; nothing was changed. Please try again later.
msg-wallets-not-synced = The pool's wallets are not in sync with the network right now, so new addresses cannot be registered. Nothing was changed; please try again later.
msg-one-address = Stake pool is currently limited to one address per account
msg-no-address = No address submitted yet
msg-invalid-agenda-choice = invalid agenda choice
msg-invalid-votebits = generated votebits were invalid
msg-address-too-short = Address too short
msg-address-too-long = Address too long
msg-address-wrong-type = Incorrect address type
msg-address-wrong-network = Address is for a different network than this pool
msg-address-undecodable = Couldn't decode address
msg-voting-save-failed = unable to save new voting preferences
msg-database-error = A database error occurred. Please try again later.
msg-sign-in-again = Please sign in again.
msg-internal-error = An internal error occurred.

## Vote notifications

title-notifications = Notifications
title-unsubscribe = Unsubscribe
settings-notifications-link = Vote notifications by email
notify-heading = Vote notifications
notify-no-mail = Mail server not configured.  Notification mails will not be delivered.
notify-no-address = You have no tickets yet: first <a href="/address">submit your public key address</a>.
notify-intro = Get an email when one of your tickets votes, misses its vote or is revoked. Nothing is mailed until you choose, and only for tickets that end after you do. Every mail has a link that turns them off again in one click.
notify-state-off = Notifications are off.
notify-state-on = Notifications are on.
notify-legend-events = Mail me when a ticket
notify-on-vote = votes
notify-on-miss = misses its vote (reported once the ticket is revoked)
notify-on-revoke = is revoked (missed or expired)
notify-legend-mode = How often
notify-mode-immediate = A mail for each event, as it happens
notify-mode-daily = One mail a day (after midnight UTC) with the day's events
notify-save = Save
notify-back = Back to settings
unsubscribe-done = Done: no more notification mails will be sent for this account. You can turn them on again on the Notifications page after signing in.
unsubscribe-question = Stop all vote notification mails for this account?
unsubscribe-button = Unsubscribe
unsubscribe-invalid = This unsubscribe link is not valid. Sign in and use the Notifications page instead.
msg-notify-choose-mode = Choose per event or daily
msg-notify-wallets-down = The pool's wallets did not answer; nothing was changed. Please try again.
msg-notify-saved = Notification settings saved
msg-notify-off = Notifications are off

## Data export and account deletion

title-delete-account = Delete account
title-account-deleted = Account deleted
settings-export = Export my data
settings-delete = Delete my account
delete-heading = Delete account
delete-done-heading = Account deleted
delete-done = Your account was deleted and you are signed out. Your email address, password, API token and sessions are erased; the address can sign up again as a new account.
delete-done-kept = The pool keeps voting the tickets bought for <code>{ $address }</code>: it keeps that address, its script, your public key and fee addresses and your vote choices until the last of those tickets has voted, been revoked or expired, and then erases them too. Tickets bought from now on may not be voted.
delete-home = Home
delete-export-first = Download <a href="/export">your data</a> first if you want to keep a copy (a JSON file: your account, addresses, vote choices, tickets and sessions).
delete-what = Deleting your account erases at once your email address, password, API token, sessions, pending email changes and mails not sent yet. You cannot sign in afterwards; the email address can sign up again as a new account.
delete-kept = Your tickets keep being voted: the pool keeps the ticket address <code>{ $address }</code>, its script, your public key and fee addresses and your vote choices until every ticket bought for it has voted, been revoked or expired, then erases them too. Do not buy tickets for this address after deleting the account: they may not be voted.
delete-button = Delete my account
delete-keep = Keep my account

## Admin status: the states and reasons the code writes (hcpool-core's status summary and
## the web app's wallet and voting-node checks)

status-level-ok = OK
status-level-degraded = Degraded
status-level-critical = Critical
status-level-emergency = Emergency
status-yes = yes
status-no = no
status-bool-true = true
status-bool-false = false
status-not-ready = not ready
status-scripts-all = all
status-scripts-behind-one = behind: 1 script missing
status-scripts-behind = behind: { $count } scripts missing
status-problem-wallets-stopped = the wallet manager is stopped after an inconsistency
status-problem-wallets-unavailable = fewer than minservers wallets are ready
status-problem-wallets-behind = fewer than minservers wallets are at the chain tip
status-problem-wallets-lagging = every ready wallet's tip lags its hcd's tip or is too old
status-detail-stopped = wallet manager stopped: { $reason }
status-detail-not-ready = { $label }: { $why }
status-detail-no-tip = { $label }: no chain tip
status-detail-lag-blocks = { $label }: lagging, at height { $height } while its hcd is at { $node }
status-detail-lag-age = { $label }: lagging, its tip (height { $height }) is { $secs } s old
status-detail-behind = { $label }: at height { $height }, the tip is { $best }
status-reason-wallet-down = wallet { $label } not connected: { $why }
status-reason-no-answer = no answer
status-reason-wallet-no-hcd = wallet { $label }: hcd not connected
status-reason-wallet-locked = wallet { $label }: locked
status-reason-wallet-lagging = wallet { $label }: lagging: { $why }
status-reason-node-lagging = voting node { $label } lagging: { $why }
status-reason-node-down = voting node { $label } not serving
status-lag-blocks = at height { $height } while its hcd is at { $node }
status-lag-tip-age = its tip block is { $secs } s old
status-lag-other = its tip lags
status-node-lag = its wallet is at height { $height } while the tip is { $blocks } blocks ahead
status-node-no-answer = no answer within { $time }
# The lag table's verdicts (the API's names of the two limits).
status-lag-reason-blocks-behind = blocks_behind
status-lag-reason-tip-too-old = tip_too_old
msg-mined-block = Mined block { $height }
msg-mining-failed = Mining failed: { $error }

## Admin low-fee tickets: results and refusals

# A text the code passes on as it is (a backend's own error).
msg-raw = { $text }

msg-lowfee-none-selected = no tickets selected to modify
msg-lowfee-bad-action = invalid or unknown form action type
msg-lowfee-bad-hash = NewHashFromStr failed for { $hash }: { $error }
msg-lowfee-gone = ticket { $ticket } is no longer present
msg-lowfee-added = successfully added { $count } ticket(s)
msg-lowfee-removed = successfully removed { $count } ticket(s)
msg-lowfee-add-failed = Database error occurred while adding tickets
msg-lowfee-remove-failed = Database error occurred while removing tickets
msg-lowfee-list-failed = GetIgnoredLowFeeTickets error: { $error }
msg-lowfee-no-nodes = no stakepoold configured

## The demo's ticket purchase

msg-demo-bought = Bought ticket { $ticket }: it is mined in the next block
msg-demo-buy-failed = Ticket purchase failed: { $error }
msg-demo-user-id = user id out of range

## Consensus agendas on the voting page: `agenda-<agenda id>` and
## `agenda-<agenda id>-<choice id>`. An agenda without a key here shows the chain
## parameters' English description.

agenda-maxblocksize = Change maximum allowed block size from 1MiB to 1.25MB
agenda-maxblocksize-abstain = abstain voting for change
agenda-maxblocksize-no = reject changing max allowed block size
agenda-maxblocksize-yes = accept changing max allowed block size
