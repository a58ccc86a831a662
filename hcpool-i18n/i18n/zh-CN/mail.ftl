# hcpool 邮件的简体中文文本。`{ $base }` 是权益池的网址，`{ $link }` 是读者要打开的链接，
# `{ $ip }` 是发出请求的 IP 地址。

mail-signup-taken-subject = 权益池注册
mail-signup-taken-body =
    尊敬的 HCASH 用户：

    有人（可能是您）试图在 { $base } 用这个邮箱地址注册，但该地址已经有账户了。您可以在 { $base }/signin 登录；如果忘记了密码，可以在 { $base }/passwordreset 重置。如果不是您本人操作，请忽略本邮件。

    HCASH 团队

mail-verify-subject = 权益池邮箱验证
mail-verify-body =
    尊敬的 HCASH 用户：

    为了您的账户安全，请点击以下链接验证您的邮箱地址。

    { $link }

    HCASH 团队

mail-reset-subject = 权益池密码重置
mail-reset-body =
    IP 地址 { $ip } 发出了重置您密码的请求。

    如需重置密码，请打开：

    { $link }

    以上链接在本邮件发出一小时后失效。

mail-password-changed-subject = 权益池密码已修改
mail-password-changed-body = 您在 { $base } 的账户密码已被修改。如果不是您本人操作，请立即联系权益池管理员。

mail-email-change-subject = 权益池邮箱更改
mail-email-change-new-body =
    IP 地址 { $ip } 发出了请求，要将您权益池账户的邮箱从 { $old } 更改为 { $new }。

    如需确认，请打开：

    { $link }

    该链接在一小时后失效。
mail-email-change-old-body = IP 地址 { $ip } 发出了请求，要将您权益池账户的邮箱从 { $old } 更改为 { $new }。如果不是您本人操作，请立即联系权益池管理员。
