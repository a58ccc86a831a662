# hcpool's mails in English. `{ $base }` is the pool's address (https://...), `{ $link }`
# a link the reader opens, `{ $ip }` the address the request came from. The first line of
# a body may not start with a space; blank lines are kept.

mail-signup-taken-subject = Stake pool sign up
mail-signup-taken-body =
    Dear HCASH user,

    Someone (maybe you) tried to sign up at { $base } with this email address, which already has an account. You can sign in at { $base }/signin, or reset your password at { $base }/passwordreset if you forgot it. If it was not you, you can ignore this mail.

    HCASH Team

mail-verify-subject = Stake pool email verification
mail-verify-body =
    Dear HCASH user,

    For security purposes, please click the following link to verify your email address.

    { $link }

    HCASH Team

mail-reset-subject = Stake pool password reset
mail-reset-body =
    A request to reset your password was made from IP address { $ip }.

    To reset your password, open:

    { $link }

    The above link expires an hour after this email was sent.

mail-password-changed-subject = Stake pool password change
mail-password-changed-body = The password of your account at { $base } was changed. If you did not make this request, please contact the stake pool administrator immediately.

mail-email-change-subject = Stake pool email change
mail-email-change-new-body =
    A request was made from IP address { $ip } to change the email address of your stake pool account from { $old } to { $new }.

    To confirm, open:

    { $link }

    The link expires in one hour.
mail-email-change-old-body = A request was made from IP address { $ip } to change the email address of your stake pool account from { $old } to { $new }. If you did not make this request, please contact the stake pool administrator immediately.

# Vote notifications (opt-in). `{ $ticket }` a ticket hash, `{ $height }` a block height,
# `{ $what }` one of the mail-notify-what-* texts, `{ $link }` the unsubscribe link.

mail-notify-voted-subject = Stake pool: your ticket voted
mail-notify-missed-subject = Stake pool: your ticket missed its vote
mail-notify-expired-subject = Stake pool: your ticket expired
mail-notify-what-voted = voted
mail-notify-what-missed = missed its vote and was revoked
mail-notify-what-expired = expired without being called to vote and was revoked
mail-notify-event = Your ticket { $ticket } { $what } in block { $height }.
mail-notify-digest-subject = Stake pool: your tickets today ({ $count } events)
mail-notify-digest-head = Your tickets since the last digest: { $voted } voted, { $missed } missed, { $expired } expired.
mail-notify-digest-line = Block { $height }: ticket { $ticket } { $what }.
mail-notify-digest-more = … and { $count } more.
mail-notify-footer =
    Your tickets:

    { $base }/tickets

    You get this mail because you chose vote notifications on the pool's Notifications page. To stop them, open:

    { $link }
