# hcpool 网页的简体中文文本。每行为 `键 = 文本`；`{ $name }` 由页面填入。
# 文本中可以含有简单的 HTML（<strong>、<code>、<a>）。请保留键名，只翻译文本。
# 术语：stake pool = 权益池，ticket = 选票，vote = 投票，HC / Hcash 不翻译。

## 页面框架

site-name = HC 权益池
site-title = HC 权益池 - { $page }
nav-low-fee = 低手续费选票
nav-status = 状态
nav-home = 首页
nav-stats = 统计
nav-address = 地址
nav-settings = 设置
nav-tickets = 选票
nav-voting = 投票
nav-hello = 你好，{ $email }
nav-logout = 退出
nav-signin = 登录
nav-signup = 注册
lang-switch = 语言

## 页面标题

title-welcome = 欢迎
title-stats = 统计
title-error = 错误
title-address = 地址
title-voting = 投票
title-signup = 注册
title-signin = 登录
title-email-verification = 邮箱验证
title-logout = 退出
title-password-reset = 重置密码
title-password-update = 设置新密码
title-resend-verification = 重新发送验证邮件
title-settings = 设置
title-email-update = 更改邮箱
title-tickets = 选票
title-maintenance = 维护
title-admin-tickets = 低手续费选票（管理员）
title-admin-status = 状态（管理员）

## 常用词

field-email = 邮箱
field-password = 密码
pool-fees = 权益池手续费
pool-fee-address = 权益池手续费地址
redeem-script = 赎回脚本
none = 无。
ticket = 选票
pager = 第 { $page } 页，共 { $pages } 页
pager-prev = 上一页
pager-next = 下一页

## 首页

home-heading = 欢迎使用 HC 权益池
home-intro = 本权益池在 <strong>{ $network }</strong> 网络上代您的选票投票，即使您的钱包处于离线状态。
home-fees = 权益池手续费：<strong>{ $fees }%</strong>
home-support = 客服支持：

## 统计

stats-heading = 统计
stats-network = 网络
stats-pool-status = 权益池状态
stats-open = 开放
stats-closed = 已关闭
stats-pool-email = 权益池邮箱
stats-users = 用户数
stats-active-users = 活跃用户数
stats-block-height = 区块高度
stats-vote-record-key = 投票记录签名公钥
stats-immature = 未成熟
stats-live = 有效
stats-voted = 已投票
stats-missed = 错过
stats-expired = 已过期
stats-revoked = 已撤销
stats-proportion-missed = 错过比例
stats-network-pool-size = 全网选票池大小
stats-mempool-tickets = 内存池中的选票
stats-proportion-live = 有效选票占比
stats-ticket-price = 选票价格
stats-total-subsidy = 总奖励
stats-history = 历史

## 图表标题

chart-live = 有效选票
chart-votes = 每日投票与错过
chart-share = 本权益池占全网有效选票的比例（%）
chart-price = 选票价格
chart-your-live = 您的有效选票
chart-your-votes = 您每日的投票与错过
chart-no-data = 暂无数据
chart-series-pool-live = 本池有效选票
chart-series-votes = 投票
chart-series-misses = 错过
chart-series-share = 本池占比 %

## 错误页

error-heading = 临时错误
error-text = 发生了临时错误。RPC 结果暂时不同步时可能出现这种情况。
error-home = 返回首页
fallback-text = 出错了，请稍后再试。

## 地址

address-heading = 地址
address-submitted = 您提交的地址
address-ticket = 选票（投票）地址
address-pool-fee = 权益池手续费
address-buying = 购买选票
address-import = 将赎回脚本导入您的钱包，钱包才能看到您的选票：
address-then-buy = 然后使用权益池的地址购买选票：
address-or-conf = 或者写入 <code>hcwallet.conf</code>：
address-check = 用以下命令核对您提交的地址：
address-gui-hint = 使用 hcGUI 钱包？它会自动提交地址：在它询问时粘贴
    <a href="/settings">设置</a>页面上的 API 令牌即可。
address-create = 在您的钱包中创建一个新地址，并获取它的公钥地址：
address-paste = 将 <code>pubkeyaddr</code> 的值粘贴到这里。每个账户只能提交一个地址。
address-field = 公钥地址
address-submit = 提交

## 投票

voting-heading = 投票偏好（v{ $version }）
voting-save = 保存
voting-none = 目前没有可以投票的议案。

## 选票

tickets-heading = 选票
tickets-demo = 演示：您的钱包是模拟的。
tickets-demo-buy = 购买一张选票
tickets-address = 选票地址
tickets-conf = 要用 hcwallet 为本权益池购买选票，请在 <code>hcwallet.conf</code> 中加入：
tickets-by-hand = 或者手动购买：
tickets-live = 有效 / 未成熟（{ $count }）
tickets-height = 高度
tickets-no-live = 没有有效选票。
tickets-voted = 已投票
tickets-voted-total = 共有 { $total } 张选票已投票（其中 { $archived } 张已归档，未显示）
tickets-records-intro = 矿池为其替您投出的每一票签署一份记录：
tickets-records-download = 下载您的投票记录（JSON）
tickets-records-check = 可用以下命令对照区块链核验：
tickets-records-key = 矿池的公钥：
tickets-vote = 投票
tickets-voted-at = 投票高度
tickets-vote-link = 投票交易
tickets-missed = 错过（{ $count }）
tickets-revoked-at = 撤销高度
tickets-expired = 已过期（{ $count }）
tickets-invalid = 无效（手续费过低）（{ $count }）

## 注册、登录、退出

signup-heading = 注册
signup-no-mail = 邮件服务器未配置，您将不会收到邮箱验证链接。
signup-repeat = 再次输入密码
signup-captcha-alt = 验证码：请输入图中的字符
signup-captcha = 图中的字符
signup-submit = 注册
signup-registered = 已经注册？
signin-heading = 登录
signin-submit = 登录
signin-forgot = 忘记密码？
signin-no-mail = 没有收到验证邮件？
logout-heading = 退出
logout-ask = 要退出权益池账户吗？
logout-submit = 退出
logout-stay = 保持登录
emailverify-heading = 邮箱验证
emailverify-signin = 现在可以登录了
resend-heading = 重新发送验证邮件
resend-text = 注册后一直没有收到验证邮件？请输入注册时使用的邮箱，
    我们会向它发送新的验证链接（之前的链接将失效）。
resend-submit = 发送新链接

## 重置和设置密码

reset-heading = 重置密码
reset-no-mail = 邮件服务器未配置，您将不会收到密码重置链接。
reset-submit = 发送重置链接
update-heading = 设置新密码
update-new = 新密码
update-repeat = 再次输入新密码
update-submit = 设置密码

## 设置

settings-heading = 设置
settings-no-mail = 邮件服务器未配置，您将不会收到更改邮箱的验证链接。
settings-next-step = 下一步：<a href="/address">提交您的公钥地址</a>。
settings-api-token = API 令牌
settings-api-use = 调用 <code>/api/v2</code> 命令时，以 <code>Authorization: Bearer &lt;令牌&gt;</code> 的形式发送。请妥善保密。
settings-new-token = 签发新令牌（当前令牌将失效）
settings-change-email = 更改邮箱
settings-new-email = 新邮箱
settings-current-password = 当前密码
settings-send-confirmation = 发送确认链接
settings-change-password = 修改密码

## 维护

maintenance-heading = 维护中

## 管理员：低手续费选票

admintickets-heading = 低手续费选票
admintickets-ignored = 被投票节点忽略的选票（{ $count }）
admintickets-ignored-text = 这些选票没有支付权益池手续费，因此不会为其投票。
admintickets-add = 加入有效投票列表
admintickets-added = 已加入投票（{ $count }）
admintickets-remove = 从有效投票列表中移除

## 管理员：状态

status-heading = 状态
status-demo = 演示：区块链是模拟的。
status-demo-mine = 挖一个区块
status-rpc = RPC 状态：
status-registration = 地址注册
status-refused = 目前拒绝注册地址：
status-open = 开放：{ $wallets } 个钱包中有 { $ready } 个处于链顶端（高度 { $height }；minservers { $min }）。
status-wallets = 钱包（{ $label }）
status-chain-height = 链高度
status-node-connected = 已连接节点
status-unlocked = 已解锁
status-voting = 投票
status-vote-version = 投票版本
status-wallets-unavailable = 钱包不可用：
status-voting-nodes = 投票节点（stakepoold）
status-configured = 已配置 { $count } 个。
status-waiting = 等待更新：
status-summary = { $wallets } 个钱包中 { $ready } 个就绪，{ $nodes } 个投票节点中 { $serving } 个在服务
status-summary-tip = ，链顶端 { $tip }
status-th-wallet = 钱包
status-th-state = 状态
status-th-connected = 已连接
status-th-hcd-connected = hcd 已连接
status-th-best-block = 最新区块
status-th-hcd-api = hcd API
status-th-wallet-api = hcwallet API
status-th-votes-itself = 自行投票
status-th-scripts = 脚本
status-ready = 就绪
status-enablevoting = （--enablevoting：它的投票会与 stakepoold 抢先）
status-th-tip = 链顶端
status-th-hcd-tip = hcd 链顶端
status-th-behind = 落后区块数
status-th-tip-age = 链顶端时长（秒）
status-th-lag = 滞后
status-lagging = 滞后：
status-ok = 正常
status-th-node = 节点
status-th-health = 健康状况
status-th-config = 配置
status-th-version = 版本
status-th-ignored = 已忽略的低手续费选票
status-th-added = 已加入的低手续费选票
status-up = 在线
status-down = 离线：
status-current = 最新
status-stale = 等待更新
status-th-wallet-height = 钱包高度
status-th-hcd-height = hcd 高度
status-node-behind = 滞后：落后 { $blocks } 个区块
status-unknown = 未知

## 提示与拒绝信息

msg-invalid-email = 邮箱地址无效
msg-invalid-email-cap = 邮箱地址无效
msg-weak-password-short = 密码长度至少为 8 个字符
msg-weak-password-long = 密码太长
msg-passwords-differ = 两次输入的密码不一致
msg-passwords-differ-lower = 两次输入的密码不一致
msg-bad-credentials = 邮箱或密码错误
msg-not-verified = 您必须先验证邮箱地址
msg-wrong-password = 密码错误
msg-no-verification-token = 缺少邮箱验证令牌
msg-verification-token-invalid = 邮箱验证令牌无效
msg-no-reset-token = 缺少密码重置令牌
msg-reset-token-invalid = 密码重置令牌无效
msg-reset-token-expired = 密码重置令牌已过期
msg-email-change-expired = 邮箱更改令牌已过期
msg-email-in-use = 该邮箱地址已被使用
msg-captcha-wrong = 验证码错误
msg-email-verified = 邮箱验证成功
msg-email-updated = 邮箱更改成功
msg-password-updated = 密码修改成功
msg-token-issued = 已签发新的 API 令牌，之前的令牌已失效
msg-verification-sent-new = 验证链接已发送到新邮箱地址
msg-address-registered = 地址已注册：您的选票地址如下
msg-voting-updated = 投票偏好已更新
msg-signup-sent = 验证邮件已发送至 { $email }
msg-resend-sent = 如果 { $email } 属于一个尚未验证的账户，新的验证链接已发送到该邮箱。
msg-reset-sent = 如果 { $email } 是本站已注册的账户，包含密码重置说明的邮件已发送到该邮箱。
msg-wallets-down = 权益池的钱包暂时无法处理此请求，没有做任何更改。请稍后再试。
msg-wallets-not-synced = 权益池的钱包目前与网络不同步，暂时无法注册新地址。没有做任何更改，请稍后再试。
msg-one-address = 每个账户目前只能提交一个地址
msg-no-address = 尚未提交地址
msg-invalid-agenda-choice = 议案选项无效
msg-invalid-votebits = 生成的投票位无效
msg-address-too-short = 地址太短
msg-address-too-long = 地址太长
msg-address-wrong-type = 地址类型不正确
msg-address-wrong-network = 该地址属于与本权益池不同的网络
msg-address-undecodable = 无法解析地址
msg-voting-save-failed = 无法保存新的投票偏好
msg-database-error = 数据库出错，请稍后再试。
msg-sign-in-again = 请重新登录。
msg-internal-error = 发生内部错误。

## 投票通知

title-notifications = 通知
title-unsubscribe = 退订
settings-notifications-link = 通过邮件接收投票通知
notify-heading = 投票通知
notify-no-mail = 未配置邮件服务器，通知邮件将无法送达。
notify-no-address = 您还没有选票：请先<a href="/address">提交您的公钥地址</a>。
notify-intro = 当您的选票投票、错过投票或被撤销时，您可以收到一封邮件。在您做出选择之前不会发送任何邮件，并且只针对在您选择之后结束的选票。每封邮件都附有一个链接，点击一次即可再次关闭通知。
notify-state-off = 通知已关闭。
notify-state-on = 通知已开启。
notify-legend-events = 在选票发生以下情况时给我发邮件
notify-on-vote = 投票
notify-on-miss = 错过投票（在选票被撤销后通知）
notify-on-revoke = 被撤销（错过投票或过期）
notify-legend-mode = 发送频率
notify-mode-immediate = 每个事件发生时各发一封邮件
notify-mode-daily = 每天一封（UTC 午夜之后），汇总当天的事件
notify-save = 保存
notify-back = 返回设置
unsubscribe-done = 完成：此账户将不再收到通知邮件。登录后可在“通知”页面重新开启。
unsubscribe-question = 停止向此账户发送所有投票通知邮件？
unsubscribe-button = 退订
unsubscribe-invalid = 此退订链接无效。请登录后使用“通知”页面。
msg-notify-choose-mode = 请选择逐个事件通知或每日汇总
msg-notify-wallets-down = 权益池的钱包没有响应，未做任何更改。请重试。
msg-notify-saved = 通知设置已保存
msg-notify-off = 通知已关闭

## 数据导出与删除账户

title-delete-account = 删除账户
title-account-deleted = 账户已删除
settings-export = 导出我的数据
settings-delete = 删除我的账户
delete-heading = 删除账户
delete-done-heading = 账户已删除
delete-done = 您的账户已删除，您已退出登录。您的邮箱地址、密码、API 令牌和会话均已清除；该邮箱地址可以重新注册为新账户。
delete-done-kept = 权益池会继续为购买给 <code>{ $address }</code> 的选票投票：在这些选票全部投票、被撤销或过期之前，它会保留该地址、其脚本、您的公钥地址和手续费地址以及您的投票选择，之后也会将其清除。从现在起购买的选票可能不会被投票。
delete-home = 首页
delete-export-first = 如果您想保留一份副本，请先下载<a href="/export">您的数据</a>（一个 JSON 文件：您的账户、地址、投票选择、选票和会话）。
delete-what = 删除账户会立即清除您的邮箱地址、密码、API 令牌、会话、待处理的邮箱更改以及尚未发送的邮件。之后您将无法登录；该邮箱地址可以重新注册为新账户。
delete-kept = 您的选票会继续被投票：在为该地址购买的每张选票都已投票、被撤销或过期之前，权益池会保留选票地址 <code>{ $address }</code>、其脚本、您的公钥地址和手续费地址以及您的投票选择，之后也会将其清除。删除账户后请不要再为此地址购买选票：它们可能不会被投票。
delete-button = 删除我的账户
delete-keep = 保留我的账户

## 管理员状态：代码写出的状态与原因（hcpool-core 的状态汇总以及网站对钱包和投票节点的检查）

status-level-ok = 正常
status-level-degraded = 降级
status-level-critical = 严重
status-level-emergency = 紧急
status-yes = 是
status-no = 否
status-bool-true = 是
status-bool-false = 否
status-not-ready = 未就绪
status-scripts-all = 全部
status-scripts-behind-one = 落后：缺少 1 个脚本
status-scripts-behind = 落后：缺少 { $count } 个脚本
status-problem-wallets-stopped = 钱包管理器因数据不一致已停止
status-problem-wallets-unavailable = 就绪的钱包少于 minservers 个
status-problem-wallets-behind = 处于链顶端的钱包少于 minservers 个
status-problem-wallets-lagging = 所有就绪钱包的链顶端都落后于其 hcd 的链顶端，或已过旧
status-detail-stopped = 钱包管理器已停止：{ $reason }
status-detail-not-ready = { $label }：{ $why }
status-detail-no-tip = { $label }：没有链顶端
status-detail-lag-blocks = { $label }：滞后，高度为 { $height }，而其 hcd 已在 { $node }
status-detail-lag-age = { $label }：滞后，其链顶端（高度 { $height }）已是 { $secs } 秒前
status-detail-behind = { $label }：高度为 { $height }，链顶端为 { $best }
status-reason-wallet-down = 钱包 { $label } 未连接：{ $why }
status-reason-no-answer = 无应答
status-reason-wallet-no-hcd = 钱包 { $label }：hcd 未连接
status-reason-wallet-locked = 钱包 { $label }：已锁定
status-reason-wallet-lagging = 钱包 { $label }：滞后：{ $why }
status-reason-node-lagging = 投票节点 { $label } 滞后：{ $why }
status-reason-node-down = 投票节点 { $label } 未在服务
status-lag-blocks = 高度为 { $height }，而其 hcd 已在 { $node }
status-lag-tip-age = 其最新区块已是 { $secs } 秒前
status-lag-other = 其链顶端滞后
status-node-lag = 其钱包高度为 { $height }，落后链顶端 { $blocks } 个区块
status-node-no-answer = { $time } 内无应答
# 滞后表中的判定（API 对两项限制的名称）。
status-lag-reason-blocks-behind = 落后区块过多
status-lag-reason-tip-too-old = 最新区块过旧
msg-mined-block = 已挖出区块 { $height }
msg-mining-failed = 挖矿失败：{ $error }

## 管理员低手续费选票：结果与拒绝信息

# 代码原样转述的文本（后端自身的错误）。
msg-raw = { $text }

msg-lowfee-none-selected = 未选择要修改的选票
msg-lowfee-bad-action = 无效或未知的表单操作
msg-lowfee-bad-hash = 无法解析选票哈希 { $hash }（NewHashFromStr）：{ $error }
msg-lowfee-gone = 选票 { $ticket } 已不在列表中
msg-lowfee-added = 已成功添加 { $count } 张选票
msg-lowfee-removed = 已成功移除 { $count } 张选票
msg-lowfee-add-failed = 添加选票时发生数据库错误
msg-lowfee-remove-failed = 移除选票时发生数据库错误
msg-lowfee-list-failed = 获取被忽略的低手续费选票失败（GetIgnoredLowFeeTickets）：{ $error }
msg-lowfee-no-nodes = 未配置 stakepoold

## 演示：购买选票

msg-demo-bought = 已购买选票 { $ticket }：它将在下一个区块中被打包
msg-demo-buy-failed = 购买选票失败：{ $error }
msg-demo-user-id = 用户 ID 超出范围

## 投票页面上的共识议程：`agenda-<议程 id>` 与 `agenda-<议程 id>-<选项 id>`。
## 此处没有键的议程显示链参数中的英文描述。

agenda-maxblocksize = 将允许的最大区块大小从 1MiB 改为 1.25MB
agenda-maxblocksize-abstain = 对此变更弃权
agenda-maxblocksize-no = 反对更改允许的最大区块大小
agenda-maxblocksize-yes = 赞成更改允许的最大区块大小
